// The suite drives PostgreSQL server programs, runuser and /proc: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
