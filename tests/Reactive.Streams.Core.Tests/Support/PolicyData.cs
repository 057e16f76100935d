namespace Reactive.Streams.Tests.Support;

/// <summary>Theory data shared by the tests that run once per policy.</summary>
public static class PolicyData
{
    /// <summary>Every policy of the closed set.</summary>
    public static TheoryData<BackpressurePolicy> All =>
        [BackpressurePolicy.DropOldest, BackpressurePolicy.DegradeQuality, BackpressurePolicy.PauseUpstream, BackpressurePolicy.Fail];
}
