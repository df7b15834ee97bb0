using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// Timestamps are UTC whatever the server's time zone (build/test.sh runs the suite in Pacific/Chatham, UTC+12:45 or
/// +13:45): an unspecified time is taken as UTC as it is, a local one is converted.
/// </summary>
public sealed class TimestampTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    [Fact]
    public void The_suite_runs_far_from_UTC_so_a_wrong_conversion_shows()
    {
        Assert.NotEqual(TimeSpan.Zero, TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow));
    }

    [Fact]
    public async Task The_timestamp_converter_keeps_an_unspecified_time_as_it_is_and_converts_a_local_one()
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        var converter = db.Model.FindEntityType(typeof(ApiKey))!.FindProperty(nameof(ApiKey.CreatedAt))!.GetValueConverter()!;
        var wallTime = new DateTime(2026, 3, 2, 9, 0, 0);

        var unspecified = (DateTime)converter.ConvertToProvider(DateTime.SpecifyKind(wallTime, DateTimeKind.Unspecified))!;
        var local = (DateTime)converter.ConvertToProvider(DateTime.SpecifyKind(wallTime, DateTimeKind.Local))!;

        Assert.Equal((wallTime, DateTimeKind.Utc), (unspecified, unspecified.Kind));
        Assert.Equal(DateTime.SpecifyKind(wallTime, DateTimeKind.Local).ToUniversalTime(), local);
    }
}
