"""Files the portal hands out: baked badge images (and, later, PDFs and artwork)."""
