"""The Qt widgets face of Bookkeeper Desktop: main window, panes, models, dialogs.

Panes receive a `gui.context.AppContext`; they reach services only through `ctx.jobs.run(...)`.
"""
