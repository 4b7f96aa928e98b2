from p3k_study.cli import main

raise SystemExit(main())
