"""The `galley` command: runs the edge, the hub, the printer emulator, or all of them as a demo."""
