// The JSON target; see ../shared/STYLE.md section 1.
