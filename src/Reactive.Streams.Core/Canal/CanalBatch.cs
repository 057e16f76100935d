using System.Collections;

namespace Reactive.Streams;

/// <summary>The shape of a <see cref="CanalBatch{T}"/>.</summary>
public enum CanalBatchKind
{
    /// <summary>No item arrived before the deadline.</summary>
    Empty = 0,

    /// <summary>Exactly one item.</summary>
    One = 1,

    /// <summary>Two or more items.</summary>
    Many = 2,
}

/// <summary>
/// What one <see cref="ICanal{T}.PullBatchAsync(int, TimeSpan, CancellationToken)"/> returned: <see cref="CanalBatchKind.Empty"/>, <see cref="CanalBatchKind.One"/>
/// or <see cref="CanalBatchKind.Many"/>. A value type that holds a single item inline, so the first two shapes allocate
/// nothing; enumerate it with <c>foreach</c> (a struct enumerator) or index it.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public readonly struct CanalBatch<T> : IReadOnlyList<T>
{
    private readonly T _one;
    private readonly T[]? _many;
    private readonly int _count;

    private CanalBatch(T one, T[]? many, int count)
    {
        _one = one;
        _many = many;
        _count = count;
    }

    /// <summary>A batch with no item.</summary>
    public static CanalBatch<T> Empty => default;

    /// <summary>A batch of one item.</summary>
    /// <param name="item">The item.</param>
    /// <returns>The batch.</returns>
    public static CanalBatch<T> One(T item) => new(item, null, 1);

    /// <summary>A batch of the given items (Empty or One when there are fewer than two). The array is not copied.</summary>
    /// <param name="items">The items, in order; the batch takes ownership of the array.</param>
    /// <returns>The batch.</returns>
    public static CanalBatch<T> Many(T[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.Length switch
        {
            0 => Empty,
            1 => One(items[0]),
            _ => new(default!, items, items.Length),
        };
    }

    /// <summary>Empty, One or Many.</summary>
    public CanalBatchKind Kind => _count switch
    {
        0 => CanalBatchKind.Empty,
        1 => CanalBatchKind.One,
        _ => CanalBatchKind.Many,
    };

    /// <summary>Whether the batch holds no item.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>How many items the batch holds.</summary>
    public int Count => _count;

    /// <summary>The item at <paramref name="index"/>.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the batch.</exception>
    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            return _many is null ? _one : _many[index];
        }
    }

    /// <summary>The last item of a non-empty batch (the cursor to checkpoint after handling it).</summary>
    /// <exception cref="InvalidOperationException">The batch is empty.</exception>
    public T Last => _count switch
    {
        0 => throw new InvalidOperationException("An empty canal batch has no last item."),
        1 => _many is null ? _one : _many[0],
        _ => _many![_count - 1],
    };

    /// <summary>Copies the items into a new array.</summary>
    /// <returns>The items, in order.</returns>
    public T[] ToArray() => _count switch
    {
        0 => [],
        1 => [_one],
        _ => (T[])_many!.Clone(),
    };

    /// <summary>A struct enumerator over the items.</summary>
    /// <returns>The enumerator.</returns>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator()
    {
        foreach (var item in this)
        {
            yield return item;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => $"{Kind} ({Count})";

    /// <summary>Enumerates a <see cref="CanalBatch{T}"/> without allocating.</summary>
    public struct Enumerator
    {
        private readonly CanalBatch<T> _batch;
        private int _index;

        internal Enumerator(CanalBatch<T> batch)
        {
            _batch = batch;
            _index = -1;
        }

        /// <summary>The current item.</summary>
        public readonly T Current => _batch._many is null ? _batch._one : _batch._many[_index];

        /// <summary>Moves to the next item.</summary>
        /// <returns>Whether there is one.</returns>
        public bool MoveNext() => ++_index < _batch._count;
    }
}
