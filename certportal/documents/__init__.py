"""Files the portal renders and hands out: PDF certificates (pdf.py), logo artwork as SVG and
PNG (artwork.py), and badge images with their credential baked in (badges.py)."""
