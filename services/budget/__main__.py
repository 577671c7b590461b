from services.budget.app import BudgetSettings, create_app
from services.runtime.service import serve

settings = BudgetSettings()
serve(create_app(settings), settings)
