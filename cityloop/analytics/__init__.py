"""Evaluation (考核评价), hot issues (热点问题), early warning and forecasts (预测预警), reply
quality and briefings (日报/周报): the analysis side of the closed loop."""
