"""The running box: the writer thread, the realtime bus, the sign-in cache and PIN
checks, the print workers, and the server that runs it all.
"""
