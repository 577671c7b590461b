from services.meetings.app import MeetingsSettings, create_app
from services.runtime.service import serve

settings = MeetingsSettings()
serve(create_app(settings), settings)
