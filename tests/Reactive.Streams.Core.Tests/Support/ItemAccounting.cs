namespace Reactive.Streams.Tests.Support;

/// <summary>Exact accounting of the items 0..total-1 pushed through a buffer by one producer.</summary>
internal static class ItemAccounting
{
    /// <summary>The bit a test degrader sets, so a degraded item still names the value it replaced.</summary>
    public const long DegradedBit = 1L << 62;

    /// <summary>
    /// Asserts that every value left exactly once (delivered, or among <paramref name="leftOut"/>: evicted or
    /// rejected, degraded or not) and that the deliveries kept the push order.
    /// </summary>
    public static void AssertEachOnceInOrder(int total, IReadOnlyList<long> delivered, IEnumerable<long> leftOut)
    {
        var seen = new int[total];
        foreach (var item in delivered.Concat(leftOut))
        {
            seen[item & ~DegradedBit]++;
        }

        Assert.All(seen, count => Assert.Equal(1, count));
        for (var i = 1; i < delivered.Count; i++)
        {
            Assert.True((delivered[i] & ~DegradedBit) > (delivered[i - 1] & ~DegradedBit), $"{delivered[i]} after {delivered[i - 1]}");
        }
    }
}
