// The Service target; see ../shared/STYLE.md section 1.
