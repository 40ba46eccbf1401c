// The Jobs target; see ../shared/STYLE.md section 1.
