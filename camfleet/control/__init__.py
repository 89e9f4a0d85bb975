"""The control plane's state: the fleet and API keys in the database, secrets masked on the
way out, and the loop that makes a running engine converge to the stored fleet."""
