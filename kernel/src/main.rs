#![no_std]
#![no_main]
#![forbid(unsafe_code)]
