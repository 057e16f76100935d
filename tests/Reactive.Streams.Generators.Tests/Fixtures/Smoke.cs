namespace Reactive.Streams.Generators.Tests.Fixtures;

public class Smoke
{
    [Fact]
    public void Generated_match_runs()
    {
        LeaseEvent e = new LeaseEvent.Expired(new Cursor(1, 2), "x", DateTimeOffset.UnixEpoch);
        Assert.Equal("lease_expired", e.WireName);
        Assert.NotNull(typeof(EventUnionGenerator));
    }
}
