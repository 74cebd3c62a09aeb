"""Agent builder pages: ``/agents`` (list + template gallery) and ``/agents/[agent_id]`` (the form).

``dashboard/app.py`` imports the states and page functions from here.
"""

from dashboard.builder.edit_page import agent_edit_page
from dashboard.builder.list_page import agents_page
from dashboard.builder.list_state import AgentsState
from dashboard.builder.state import BuilderState

__all__ = ["AgentsState", "BuilderState", "agent_edit_page", "agents_page"]
