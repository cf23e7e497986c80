namespace Monitor.Configuration;

internal enum Severity
{
    P1 = 1,
    P2 = 2,
    P3 = 3,
    P4 = 4,
}
