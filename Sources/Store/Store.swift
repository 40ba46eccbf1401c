// The Store target; see ../shared/STYLE.md section 1.
