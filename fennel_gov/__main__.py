from fennel_gov.cli import main

raise SystemExit(main())
