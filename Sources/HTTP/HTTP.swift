// The HTTP target; see ../shared/STYLE.md section 1.
