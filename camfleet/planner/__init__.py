"""camfleet.planner"""
