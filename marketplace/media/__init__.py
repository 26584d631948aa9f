"""Photos: validation and renditions with Pillow, stored by content hash."""
