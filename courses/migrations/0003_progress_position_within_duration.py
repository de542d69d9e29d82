"""last_position never exceeds the video's duration, enforced by the database.

A CHECK constraint cannot look at another table, so two triggers do it: one rejects a progress
row past the end of its video (SQLSTATE 23514, check_violation, so Django raises
IntegrityError), the other clamps existing positions when a video is shortened.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION courses_progress_position_check() RETURNS trigger AS $$
DECLARE
    video_duration integer;
BEGIN
    SELECT duration INTO video_duration FROM courses_video WHERE id = NEW.video_id;
    IF video_duration IS NOT NULL AND NEW.last_position > video_duration THEN
        RAISE EXCEPTION 'last_position % exceeds the video duration %',
            NEW.last_position, video_duration
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'progress_position_within_duration';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER progress_position_within_duration
    BEFORE INSERT OR UPDATE OF last_position, video_id ON courses_userprogress
    FOR EACH ROW EXECUTE FUNCTION courses_progress_position_check();

CREATE FUNCTION courses_video_clamp_progress() RETURNS trigger AS $$
BEGIN
    UPDATE courses_userprogress SET last_position = NEW.duration
        WHERE video_id = NEW.id AND last_position > NEW.duration;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER video_shortened_clamps_progress
    AFTER UPDATE OF duration ON courses_video
    FOR EACH ROW WHEN (NEW.duration < OLD.duration)
    EXECUTE FUNCTION courses_video_clamp_progress();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS video_shortened_clamps_progress ON courses_video;
DROP FUNCTION IF EXISTS courses_video_clamp_progress();
DROP TRIGGER IF EXISTS progress_position_within_duration ON courses_userprogress;
DROP FUNCTION IF EXISTS courses_progress_position_check();
"""


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
