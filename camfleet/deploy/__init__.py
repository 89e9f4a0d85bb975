"""camfleet.deploy"""
