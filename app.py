from certportal import create_app

app = create_app()
