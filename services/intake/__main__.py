from services.intake.app import IntakeSettings, create_app
from services.runtime.service import serve

settings = IntakeSettings()
serve(create_app(settings), settings)
