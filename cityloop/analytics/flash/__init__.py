"""Incident flash reports (突发事件快报): first, follow-up and final reports of urgent orders."""
