"""The protection registry: victims, witnesses and displaced people, sealed and pseudonymised."""
