from services.oversight.app import OversightSettings, create_app
from services.runtime.service import serve

settings = OversightSettings()
serve(create_app(settings), settings)
