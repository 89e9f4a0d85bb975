"""camfleet.engine"""
