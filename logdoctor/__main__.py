from logdoctor.cli import main

# Guarded: worker processes started with `spawn` (Windows) must not run the command again.
if __name__ == "__main__":
    main()
