using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting.Tests;

public sealed class ConfigurationValidationTests
{
    private sealed class NullSink(string name) : IDeliverySink<int>
    {
        public string Name => name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    private sealed class Handler : ICanalBatchHandler
    {
        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) => default;
    }

    private static async Task<Exception> StartFailsAsync(Dictionary<string, string?> configuration, bool withLogPath = true)
    {
        await using var test = new TestHost(configuration, withLogPath);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")))
            .AddCanalWorker<Handler>("orders");
        return await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);
    }

    [Theory]
    [InlineData("ReactiveStreams:Canals:orders:MaxBatch", "0")]
    [InlineData("ReactiveStreams:Canals:orders:Deadline", "-00:00:01")]
    [InlineData("ReactiveStreams:Canals:orders:MaxLagCount", "0")]
    [InlineData("ReactiveStreams:Canals:orders:Stream", "bad\u0001name")]
    [InlineData("ReactiveStreams:Canals:orders:CheckpointId", "bad\u0001id")]
    [InlineData("ReactiveStreams:Dispatchers:audit:QueueCapacity", "0")]
    [InlineData("ReactiveStreams:Dispatchers:audit:MaxRetries", "-1")]
    [InlineData("ReactiveStreams:Dispatchers:audit:MaxQueueDepth", "-1")]
    [InlineData("ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch", "0")]
    [InlineData("ReactiveStreams:Log:Sqlite:PollInterval", "00:00:00")]
    [InlineData("ReactiveStreams:Log:Sqlite:LiveRetention:Alpha", "2")]
    [InlineData("ReactiveStreams:Log:Sqlite:BusyTimeout", "-00:00:01")]
    [InlineData("ReactiveStreams:Log:Sqlite:MaxReadCount", "0")]
    [InlineData("ReactiveStreams:Log:Sqlite:Synchronous", "9")]
    [InlineData("ReactiveStreams:Log:Sqlite:MaxPollInterval", "00:00:00.001")]
    [InlineData("ReactiveStreams:Dispatchers:audit:DrainTimeout", "-00:00:02")]
    [InlineData("ReactiveStreams:Dispatchers:audit:OnFull", "9")]
    [InlineData("ReactiveStreams:Dispatchers:audit:BackoffBase", "-00:00:01")]
    [InlineData("ReactiveStreams:Dispatchers:audit:Sinks:file:QueueCapacity", "0")]
    [InlineData("ReactiveStreams:Canals:orders:Visibility", "9")]
    [InlineData("ReactiveStreams:Canals:orders:MaxLagAge", "-00:00:01")]
    public async Task A_value_out_of_range_fails_the_start_with_an_error_naming_its_key(string key, string value)
    {
        var error = await StartFailsAsync(new() { [key] = value });

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(key, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_value_is_named_by_one_failed_start_as_ValidateOnStart_reports_them()
    {
        // The host creates its hosted services before it validates: a worker that read its options when created failed
        // the start with its own error alone, and the user found the next bad key only on the next start.
        var error = await StartFailsAsync(new()
        {
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "0",
            ["ReactiveStreams:Dispatchers:audit:QueueCapacity"] = "0",
            ["ReactiveStreams:Log:Sqlite:MaxReadCount"] = "0",
        });

        var all = Assert.IsType<AggregateException>(error).InnerExceptions;
        Assert.All(all, e => Assert.IsType<OptionsValidationException>(e));
        var messages = string.Join('\n', all.Select(e => e.Message));
        Assert.Contains("ReactiveStreams:Canals:orders:MaxBatch", messages, StringComparison.Ordinal);
        Assert.Contains("ReactiveStreams:Dispatchers:audit:QueueCapacity", messages, StringComparison.Ordinal);
        Assert.Contains("ReactiveStreams:Log:Sqlite:MaxReadCount", messages, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReactiveStreams:Canals:orders:MaxBatch", "0", "ReactiveStreams:Canals:orders:Deadline", "-00:00:01")]
    [InlineData("ReactiveStreams:Dispatchers:audit:QueueCapacity", "0", "ReactiveStreams:Dispatchers:audit:MaxRetries", "-1")]
    [InlineData("ReactiveStreams:Dispatchers:audit:MaxRetries", "-1", "ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch", "0")]
    [InlineData("ReactiveStreams:Dispatchers:audit:Sinks:file:QueueCapacity", "0", "ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch", "0")]
    [InlineData("ReactiveStreams:Dispatchers:audit:OnFull", "9", "ReactiveStreams:Dispatchers:audit:MaxBackoff", "-00:00:01")]
    [InlineData("ReactiveStreams:Log:Sqlite:MaxReadCount", "0", "ReactiveStreams:Log:Sqlite:PollInterval", "00:00:00")]
    [InlineData("ReactiveStreams:Log:Sqlite:LiveRetention:Alpha", "2", "ReactiveStreams:Log:Sqlite:BusyTimeout", "-00:00:01")]
    public async Task Two_invalid_values_of_one_section_are_both_named_by_one_failed_start(string first, string firstValue, string second, string secondValue)
    {
        // One options object holds both values: its validation reported the first rule broken, and the user found the
        // second bad key only on the next start.
        var error = await StartFailsAsync(new() { [first] = firstValue, [second] = secondValue });

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(validation.Failures, f => f.StartsWith(first + ":", StringComparison.Ordinal));
        Assert.Contains(validation.Failures, f => f.StartsWith(second + ":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_invalid_value_of_a_postgres_log_is_named_by_one_failed_start()
    {
        var error = await StartFailsAsync(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionString"] = "Host=127.0.0.1;Username=none",
            ["ReactiveStreams:Log:Postgres:ReconnectDelay"] = "00:00:00",
            ["ReactiveStreams:Log:Postgres:WatchLease"] = "00:00:01",
            ["ReactiveStreams:Log:Postgres:LiveRetention:Floor"] = "0",
        }, withLogPath: false);

        var failures = Assert.IsType<OptionsValidationException>(error).Failures.ToList();
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("ReactiveStreams:Log:Postgres:ReconnectDelay:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReactiveStreams:Log:Postgres:WatchLease:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReactiveStreams:Log:Postgres:LiveRetention:Floor:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rule_between_two_values_is_named_once_beside_the_other_invalid_values()
    {
        var error = await StartFailsAsync(new()
        {
            ["ReactiveStreams:Dispatchers:audit:BackoffBase"] = "00:01:00",
            ["ReactiveStreams:Dispatchers:audit:MaxBackoff"] = "00:00:01",
            ["ReactiveStreams:Dispatchers:audit:QueueCapacity"] = "0",
            ["ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBackoff"] = "00:00:00.001",
        });

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Equal(
            [
                "ReactiveStreams:Dispatchers:audit:QueueCapacity: QueueCapacity must be at least 1.",
                "ReactiveStreams:Dispatchers:audit:BackoffBase: BackoffBase (00:01:00) must not be above MaxBackoff (00:00:01).",
                "ReactiveStreams:Dispatchers:audit:Sinks:file:BackoffBase: BackoffBase (00:00:00.1000000) must not be above MaxBackoff (00:00:00.0010000).",
            ],
            validation.Failures);
    }

    [Fact]
    public async Task The_error_is_the_key_then_the_library_rule_that_it_breaks()
    {
        var canal = await StartFailsAsync(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "0" });
        var sink = await StartFailsAsync(new() { ["ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch"] = "0" });

        Assert.Equal("ReactiveStreams:Canals:orders:MaxBatch: MaxBatch ('0') must be greater than or equal to '1'.", canal.Message);
        Assert.Equal("ReactiveStreams:Dispatchers:audit:Sinks:file:MaxBatch: MaxBatch must be at least 1.", sink.Message);
    }

    [Fact]
    public async Task A_value_that_does_not_parse_fails_the_start_naming_its_key()
    {
        var error = await StartFailsAsync(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "many" });

        Assert.Contains("ReactiveStreams:Canals:orders:MaxBatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sqlite_log_without_a_file_fails_the_start_naming_the_path_key()
    {
        var error = await StartFailsAsync([], withLogPath: false);

        Assert.Contains("ReactiveStreams:Log:Path", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Mode=Memory")]
    [InlineData("Nonsense Key=1")]
    public async Task A_sqlite_connection_string_without_a_file_fails_naming_the_key(string connectionString)
    {
        var error = await StartFailsAsync(new() { ["ReactiveStreams:Log:ConnectionString"] = connectionString }, withLogPath: false);

        Assert.Contains("ReactiveStreams:Log:ConnectionString", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Data Source=orders.db;Mode=Memory", "Mode=Memory")]
    [InlineData("Data Source=file::memory:?cache=shared", "URI filename")]
    [InlineData("Data Source=file:orders.db", "URI filename")]
    public async Task A_sqlite_connection_string_that_names_no_plain_file_fails_the_start_and_creates_no_file(string connectionString, string reason)
    {
        // The log opens a file by its path: an in-memory mode or a URI filename used to become a file of that name in
        // the working directory, silently durable (or not where the user looked), instead of failing as ":memory:" does.
        var before = Directory.EnumerateFileSystemEntries(Environment.CurrentDirectory).ToHashSet();

        var error = await StartFailsAsync(new() { ["ReactiveStreams:Log:ConnectionString"] = connectionString }, withLogPath: false);

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReactiveStreams:Log:ConnectionString", validation.Message, StringComparison.Ordinal);
        Assert.Contains(reason, validation.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Environment.CurrentDirectory), e => !before.Contains(e) && Path.GetFileName(e).Contains("orders", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "file::memory:?cache=shared")));
    }

    [Fact]
    public async Task A_postgres_log_without_a_connection_string_fails_naming_the_key()
    {
        var error = await StartFailsAsync(new() { ["ReactiveStreams:Log:Provider"] = "Postgres" }, withLogPath: false);

        Assert.Contains("ReactiveStreams:Log:ConnectionString", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_provider_fails_naming_the_key()
    {
        var error = await StartFailsAsync(new() { ["ReactiveStreams:Log:Provider"] = "Oracle" });

        Assert.Contains("ReactiveStreams:Log:Provider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_custom_section_is_named_in_the_error()
    {
        await using var test = new TestHost(new() { ["Streams:Log:Path"] = "x.db", ["Streams:Canals:orders:MaxBatch"] = "0" }, withLogPath: false);
        test.Builder.Services.AddReactiveStreams("Streams").AddCanalWorker<Handler>("orders");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(test.StartAsync);

        Assert.Contains("Streams:Canals:orders:MaxBatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_log_file_can_come_from_a_sqlite_connection_string_or_the_connection_strings_section()
    {
        await using var fromKey = new TestHost(withLogPath: false);
        fromKey.Builder.Configuration["ReactiveStreams:Log:ConnectionString"] = $"Data Source={fromKey.DatabasePath}";
        fromKey.Builder.Services.AddReactiveStreams();
        var host = await fromKey.StartAsync();
        await host.Services.GetRequiredService<IStreamLog>().AppendAsync("s", "one", AppendMode.Durable);
        await host.StopAsync();
        Assert.True(File.Exists(fromKey.DatabasePath));

        await using var named = new TestHost(withLogPath: false);
        named.Builder.Configuration["ConnectionStrings:ReactiveStreams"] = $"Data Source={fromKey.DatabasePath}";
        named.Builder.Services.AddReactiveStreams();
        var second = await named.StartAsync();
        var frames = await second.Services.GetRequiredService<IStreamLog>().ReadAsync("s", StreamId.Min, StreamId.Max, 10);
        Assert.Single(frames);
    }

    [Fact]
    public async Task A_log_that_cannot_open_fails_the_start_and_is_logged()
    {
        await using var test = new TestHost(withLogPath: false);
        var directory = Path.GetDirectoryName(test.DatabasePath)!;
        test.Builder.Configuration["ReactiveStreams:Log:Path"] = directory; // a directory is not a database file
        test.Builder.Services.AddReactiveStreams();

        await Assert.ThrowsAnyAsync<Exception>(test.StartAsync);

        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7004 && e.Error is not null);
    }

    [Fact]
    public async Task A_container_without_configuration_takes_everything_from_code()
    {
        // The options bind from IConfiguration when the container has one (a host's always does); configured in code
        // alone, a container without it resolves everything as well, validating as ValidateOnBuild and ValidateScopes do.
        var directory = Directory.CreateTempSubdirectory("rs-hosting-").FullName;
        try
        {
            var services = new ServiceCollection().AddLogging();
            services.AddReactiveStreams()
                .ConfigureLog(log => log.Path = Path.Combine(directory, "streams.db"))
                .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")).Configure(o => o.MaxRetries = 0))
                .AddCanalWorker<Handler>("orders");
            services.Configure<CanalWorkerHostOptions>("orders", o => o.MaxLagCount = 5);
            await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

            var appended = await provider.GetRequiredService<IStreamLog>().AppendAsync("orders", "one", AppendMode.Durable);
            var dispatcher = provider.GetRequiredKeyedService<DeliveryDispatcher<int>>("audit");
            await dispatcher.DispatchAsync(1);
            var worker = provider.GetRequiredKeyedService<CanalWorkerService>("orders");

            Assert.Equal(appended.Id, Assert.Single(await provider.GetRequiredService<IStreamLog>().ReadAsync("orders", StreamId.Min, StreamId.Max, 10)).Id);
            Assert.Equal(0, provider.GetRequiredService<IOptionsMonitor<DeliveryOptions<int>>>().Get("audit").MaxRetries);
            Assert.Equal(5, provider.GetRequiredService<IOptionsMonitor<CanalWorkerHostOptions>>().Get("orders").MaxLagCount);
            Assert.Equal("orders", worker.Stream);
            Assert.True(await dispatcher.ShutdownAsync(TestHost.Hang).WaitAsync(TestHost.Hang));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_container_disposed_synchronously_disposes_the_log_the_dispatchers_and_their_sinks()
    {
        // `using var provider = services.BuildServiceProvider()` disposes synchronously, and the container refuses a
        // singleton that is only IAsyncDisposable. The log and the dispatcher are IDisposable too, as SqliteConnection
        // and NpgsqlDataSource are.
        var directory = Directory.CreateTempSubdirectory("rs-hosting-").FullName;
        try
        {
            var services = new ServiceCollection().AddLogging();
            services.AddReactiveStreams()
                .ConfigureLog(log => log.Path = Path.Combine(directory, "streams.db"))
                .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")));
            IStreamLog log;
            DeliveryDispatcher<int> dispatcher;
            using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
            {
                log = provider.GetRequiredService<IStreamLog>();
                await log.AppendAsync("orders", "one", AppendMode.Durable);
                dispatcher = provider.GetRequiredKeyedService<DeliveryDispatcher<int>>("audit");
                await dispatcher.DispatchAsync(1);
            }

            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await log.AppendAsync("orders", "two", AppendMode.Durable));
            Assert.True(dispatcher.IsShutdown);
            await using var reopened = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(Path.Combine(directory, "streams.db"));
            Assert.Single(await reopened.ReadAsync("orders", StreamId.Min, StreamId.Max, 10));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Registering_twice_is_refused()
    {
        var services = new ServiceCollection();
        var builder = services.AddReactiveStreams();
        builder.AddDispatcher<int>("a", d => d.AddSink(_ => new NullSink("s")));

        Assert.Throws<InvalidOperationException>(() => services.AddReactiveStreams());
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => builder.AddDispatcher<int>("a", d => d.AddSink(_ => new NullSink("s")))).ParamName);
        builder.AddCanalWorker<int>("w1", "a", _ => 1);
        Assert.Equal("dispatcher", Assert.Throws<ArgumentException>(() => builder.AddCanalWorker<int>("w2", "a", _ => 1)).ParamName);
    }

    [Fact]
    public void Names_that_differ_only_by_case_are_refused_since_they_would_share_one_configuration_section()
    {
        // Configuration keys ignore case: "Dispatchers:orders" and "Dispatchers:Orders" are one section, so two
        // components named so could never be configured apart. Health check names are refused the same way.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Dispatchers:orders:QueueCapacity"] = "7" }).Build();
        Assert.Equal("7", configuration["Dispatchers:Orders:QueueCapacity"]);
        var checks = new ServiceCollection().AddLogging();
        checks.AddHealthChecks().AddCheck("orders", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy())
            .AddCheck("Orders", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        Assert.Throws<ArgumentException>(() => checks.BuildServiceProvider().GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>());

        var builder = new ServiceCollection().AddReactiveStreams();
        builder.AddDispatcher<int>("orders", d => d.AddSink(_ => new NullSink("s")));
        builder.AddCanalWorker<Handler>("audit");

        Assert.Equal("name", Assert.Throws<ArgumentException>(() => builder.AddDispatcher<int>("Orders", d => d.AddSink(_ => new NullSink("s")))).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => builder.AddCanalWorker<Handler>("AUDIT")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => builder.AddCanalWorker<int>("Audit", "orders", _ => 1)).ParamName);
    }

    [Fact]
    public void A_registration_that_throws_leaves_the_names_it_checked_free()
    {
        var builder = new ServiceCollection().AddReactiveStreams();
        builder.AddDispatcher<int>("a", d => d.AddSink(_ => new NullSink("s")));
        builder.AddDispatcher<int>("b", d => d.AddSink(_ => new NullSink("s")));
        builder.AddCanalWorker<int>("w", "a", _ => 1);

        // A worker refused for its name must not take its dispatcher.
        Assert.Throws<ArgumentException>(() => builder.AddCanalWorker<int>("", "b", _ => 1));
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => builder.AddCanalWorker<int>("w", "b", _ => 1)).ParamName);
        builder.AddCanalWorker<int>("w2", "b", _ => 1);

        // A dispatcher whose configuration throws must not take its name.
        Assert.Throws<InvalidOperationException>(() => builder.AddDispatcher<int>("c", _ => throw new InvalidOperationException("bad sinks")));
        builder.AddDispatcher<int>("c", d => d.AddSink(_ => new NullSink("s")));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("audit")]
    public async Task A_worker_whose_dispatcher_is_missing_or_of_another_type_fails_the_start_naming_both(string dispatcher)
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")))
            .AddCanalWorker<string>("orders", dispatcher, frame => "x");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(test.StartAsync);

        Assert.Equal($"Canal worker 'orders' dispatches to '{dispatcher}', but no DeliveryDispatcher<String> of that name is registered: add AddDispatcher<String>(\"{dispatcher}\", ...).", error.Message);
    }
}
