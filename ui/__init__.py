"""Static pages (plain HTML, CSS and ES modules), one folder per surface; package data."""
