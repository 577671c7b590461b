from services.notify.app import NotifySettings, create_app
from services.runtime.service import serve

settings = NotifySettings()
serve(create_app(settings), settings)
