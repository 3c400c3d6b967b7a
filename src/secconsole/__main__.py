from secconsole.cli import main

raise SystemExit(main())
