"""The portal's rules as plain functions over models; nothing here imports Flask."""
