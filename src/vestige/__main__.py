from vestige.cli import run

run()
