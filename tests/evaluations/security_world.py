"""What the evaluation rows of the security matrix need in its world (kept apart from access_rows.py: the
world is built before the matrix is imported, and the matrix imports access_rows, so importing these from
access_rows while building the world would import the matrix halfway through its own import)."""

COMMENT_SECRET = "评价意见-EVAL-5512"
TEMPLATE_TITLE = "甘州区学员评价表-EVT-3308"
