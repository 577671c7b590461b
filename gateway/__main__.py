from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.runtime.service import serve

settings = GatewaySettings()
serve(create_app(settings), settings)
