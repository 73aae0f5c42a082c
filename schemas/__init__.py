"""The data contract: enums, API data models, and the solver's instance and plan formats."""
