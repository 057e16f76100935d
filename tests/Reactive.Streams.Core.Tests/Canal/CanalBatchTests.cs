namespace Reactive.Streams.Tests.Canal;

public class CanalBatchTests
{
    [Fact]
    public void Shapes_follow_the_item_count()
    {
        Assert.Equal(CanalBatchKind.Empty, CanalBatch<int>.Empty.Kind);
        Assert.Equal(CanalBatchKind.Empty, CanalBatch<int>.Many([]).Kind);
        Assert.Equal(CanalBatchKind.One, CanalBatch<int>.Many([5]).Kind);
        Assert.Equal(CanalBatchKind.Many, CanalBatch<int>.Many([5, 6]).Kind);
    }

    [Fact]
    public void Items_are_indexed_enumerated_and_copied_in_order()
    {
        var many = CanalBatch<string>.Many(["a", "b", "c"]);
        var one = CanalBatch<string>.One("z");
        var seen = new List<string>();
        foreach (var item in many)
        {
            seen.Add(item);
        }

        Assert.Equal(["a", "b", "c"], seen);
        Assert.Equal("c", many.Last);
        Assert.Equal("b", many[1]);
        Assert.Equal(["z"], one.ToArray());
        Assert.Equal("z", one.Last);
        Assert.Equal(["a", "b", "c"], many.ToList());
    }

    [Fact]
    public void Out_of_range_access_is_an_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CanalBatch<int>.One(1)[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => CanalBatch<int>.Empty[0]);
        Assert.Throws<InvalidOperationException>(() => CanalBatch<int>.Empty.Last);
    }
}
