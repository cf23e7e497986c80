namespace Monitor.Checks.Host;

/// <summary>One CPU's line of <c>/proc/stat</c>, in seconds (the kernel counts USER_HZ = 100 ticks a second).</summary>
internal sealed record CpuTimes(int Cpu, double User, double Nice, double System, double Idle, double Iowait, double Irq, double SoftIrq, double Steal, double Guest, double GuestNice);
