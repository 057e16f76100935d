namespace Reactive.Streams.Tests.Support;

/// <summary>Real-time bounds of the tests that run on real threads.</summary>
internal static class TestLimits
{
    /// <summary>
    /// How long a test waits for something that should happen promptly before it calls the run hung. Only a failing run
    /// ever reaches it, so it is generous: CI machines are shared, and a loaded one must not turn a slow pass into a failure.
    /// No test asserts how long anything took.
    /// </summary>
    public static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);
}
