"""The demonstration case: files Vestige writes itself, loaded by `vestige demo`."""
