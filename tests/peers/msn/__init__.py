"""passerelle's in-tree MSNP test server (notification server, switchboard, Passport
login endpoint), its client library and self-tests. See README.md."""
