"""camfleet.sources"""
