"""Two-stage training of video LMMs on S2I data (TRL ``SFTTrainer`` subclasses). Work in progress."""
