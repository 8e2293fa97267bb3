"""Cases: investigation workspaces, their members and roles."""
