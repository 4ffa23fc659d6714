"""Start-up and wiring: the command line's modes, assembling the bot, its web server and jobs, and
the offline demo. Imports anything below it; nothing imports it."""
