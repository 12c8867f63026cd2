from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("governance", "0007_subprocessor_transfers")]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="face_redaction",
            field=models.CharField(
                choices=[("pixelate", "Pixelate and blur"), ("fill", "Solid fill")],
                default="pixelate",
                help_text="How each head is covered: averaged blocks then a blur, or flat grey.",
                max_length=16,
            ),
        ),
    ]
